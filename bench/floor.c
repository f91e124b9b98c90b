/* The kernel's floor for the fan-out: what it costs to write one small websocket message to each
 * of N loopback sockets, with no language runtime, no parsing and no event loop in the way.
 *
 * Usage: floor PORT CONNECTIONS PAYLOAD_BYTES STEP_SECONDS RATE [RATE ...]
 *
 * Listens on 127.0.0.1:PORT (0: any free port), accepts CONNECTIONS connections (the load
 * generator's readers), then for each RATE writes one pre-framed, unmasked websocket text message
 * of PAYLOAD_BYTES to every connection, RATE times a second for STEP_SECONDS: the same writes a
 * server makes when a room of CONNECTIONS viewers receives RATE lines a second, one per message.
 * Reports, as JSON lines on stdout, the CPU the process spent in each step (getrusage: user +
 * system, which on loopback includes the receiving side's TCP work done in the sender's context,
 * as it does for the servers measured beside it).
 *
 * Built by the benchmark with the system `cc` into a temporary directory (bench/floor.py).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static double wall_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_until(double t) {
    struct timespec ts;
    ts.tv_sec = (time_t)t;
    ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}

/* Writes all of buf, however the kernel splits it (a reader that falls behind fills the socket
 * buffer; then the write blocks, which is the floor's equivalent of a server's queue). */
static int write_all(int fd, const unsigned char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: %s PORT CONNECTIONS PAYLOAD_BYTES STEP_SECONDS RATE...\n", argv[0]);
        return 2;
    }
    int port = atoi(argv[1]);
    int n = atoi(argv[2]);
    int payload = atoi(argv[3]);
    double step_s = atof(argv[4]);
    if (n <= 0 || payload < 126 || payload > 65535 || step_s <= 0) {
        fprintf(stderr, "need CONNECTIONS > 0, 126 <= PAYLOAD_BYTES <= 65535, STEP_SECONDS > 0\n");
        return 2;
    }

    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons((unsigned short)port);
    if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(lfd, 4096) < 0) {
        perror("listen");
        return 1;
    }
    socklen_t alen = sizeof addr;
    getsockname(lfd, (struct sockaddr *)&addr, &alen);
    printf("{\"event\":\"listening\",\"port\":%d}\n", ntohs(addr.sin_port));
    fflush(stdout);

    int *fds = calloc((size_t)n, sizeof *fds);
    for (int i = 0; i < n; i++) {
        fds[i] = accept(lfd, NULL, NULL);
        if (fds[i] < 0) {
            perror("accept");
            return 1;
        }
        /* As the servers' sockets: small writes leave at once. */
        setsockopt(fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    printf("{\"event\":\"connected\",\"connections\":%d}\n", n);
    fflush(stdout);

    /* A server-to-client text frame: FIN + text opcode, 16-bit length, no mask. */
    size_t frame_len = 4 + (size_t)payload;
    unsigned char *frame = malloc(frame_len);
    frame[0] = 0x81;
    frame[1] = 126;
    frame[2] = (unsigned char)(payload >> 8);
    frame[3] = (unsigned char)(payload & 0xff);
    memset(frame + 4, 'x', (size_t)payload);

    sleep_until(wall_seconds() + 1.0); /* let the readers settle, as the generator does */
    for (int a = 5; a < argc; a++) {
        double rate = atof(argv[a]);
        long ticks = (long)(rate * step_s + 0.5);
        long sends = 0, errors = 0;
        printf("{\"event\":\"step-start\",\"rate\":%g}\n", rate);
        fflush(stdout);
        double c0 = cpu_seconds(), t0 = wall_seconds();
        for (long k = 0; k < ticks; k++) {
            sleep_until(t0 + (double)k / rate);
            for (int i = 0; i < n; i++) {
                if (write_all(fds[i], frame, frame_len) < 0) errors++;
                else sends++;
            }
        }
        double cpu = cpu_seconds() - c0, wall = wall_seconds() - t0;
        printf("{\"event\":\"step-end\",\"rate\":%g,\"sends\":%ld,\"errors\":%ld,"
               "\"frame_bytes\":%zu,\"cpu_s\":%.6f,\"wall_s\":%.3f,\"us_per_send\":%.4f}\n",
               rate, sends, errors, frame_len, cpu, wall, sends ? cpu * 1e6 / (double)sends : 0.0);
        fflush(stdout);
        sleep_until(wall_seconds() + 1.0);
    }
    for (int i = 0; i < n; i++) close(fds[i]);
    printf("{\"event\":\"done\"}\n");
    fflush(stdout);
    return 0;
}

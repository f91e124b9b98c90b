/* The fast lane's write loop (server/fanout/lane.py ``write_each``) in C.
 *
 * In Python the loop is ``map(os.write, sockets, repeat(data))``: no bytecode per viewer, but
 * each write still parses its arguments, releases and retakes the interpreter lock, and turns
 * the socket's int object and the count written into machine integers and back; a third of a
 * microsecond per delivery on top of the kernel's own few microseconds. Here the sockets come
 * as one packed array of C ints (an ``array("i")``), the lock is released once for the whole
 * loop, and only the sockets that did not take the whole frame are reported.
 *
 * Same contract as the Python version: a list of (index, bytes taken) for every socket that did
 * not take all of ``data`` (full: what it took; failed: 0); a failing socket costs the others
 * nothing. The sockets are non-blocking (uvloop's), so no write here waits.
 *
 * Optional: built when the package is installed with a C compiler at hand (setup.py); without
 * it, lane.py uses its Python loop.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <errno.h>
#include <unistd.h>

typedef struct {
    Py_ssize_t index;
    Py_ssize_t taken;
} Short;

static PyObject *write_each(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    (void)module;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "write_each(sockets, data): two arguments");
        return NULL;
    }
    Py_buffer fds, data;
    if (PyObject_GetBuffer(args[0], &fds, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0) return NULL;
    if (fds.itemsize != (Py_ssize_t)sizeof(int) || fds.format == NULL ||
        strcmp(fds.format, "i") != 0) {
        PyBuffer_Release(&fds);
        PyErr_SetString(PyExc_TypeError, "write_each: sockets must be an array('i')");
        return NULL;
    }
    if (PyObject_GetBuffer(args[1], &data, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&fds);
        return NULL;
    }
    const int *sockets = (const int *)fds.buf;
    Py_ssize_t n = fds.len / (Py_ssize_t)sizeof(int);
    /* Room for an entry per socket, taken before the first write: memory that runs out fails
     * the call with nothing written, never with some sockets written and not reported. */
    Short *shorts = PyMem_RawMalloc((size_t)(n > 0 ? n : 1) * sizeof *shorts);
    if (shorts == NULL) {
        PyBuffer_Release(&fds);
        PyBuffer_Release(&data);
        return PyErr_NoMemory();
    }
    Py_ssize_t count = 0;

    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        ssize_t written;
        do {
            written = write(sockets[i], data.buf, (size_t)data.len);
        } while (written < 0 && errno == EINTR);
        if (written == data.len) continue;
        shorts[count].index = i;
        shorts[count].taken = written < 0 ? 0 : (Py_ssize_t)written;
        count++;
    }
    Py_END_ALLOW_THREADS

    PyBuffer_Release(&fds);
    PyBuffer_Release(&data);
    PyObject *result = PyList_New(count);
    if (result != NULL) {
        for (Py_ssize_t k = 0; k < count; k++) {
            PyObject *pair = Py_BuildValue("(nn)", shorts[k].index, shorts[k].taken);
            if (pair == NULL) {
                Py_CLEAR(result);
                break;
            }
            PyList_SET_ITEM(result, k, pair);
        }
    }
    PyMem_RawFree(shorts);
    return result;
}

static PyMethodDef methods[] = {
    {"write_each", (PyCFunction)(void (*)(void))write_each, METH_FASTCALL,
     "write_each(sockets: array('i'), data: bytes) -> list[tuple[int, int]]"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "server.fanout._lane", "The fast lane's write loop, in C.", -1, methods,
};

PyMODINIT_FUNC PyInit__lane(void) { return PyModule_Create(&module_def); }

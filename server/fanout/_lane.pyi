# The compiled fast-lane loop (server/fanout/_lane.c).
from array import array

def write_each(sockets: array[int], data: bytes, /) -> list[tuple[int, int]]: ...

"""Running plenary: the command line, the demo, the pusher, uvicorn and the garbage collector."""

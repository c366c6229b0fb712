"""``bridge serve``: the daemon. Only this package owns sockets, threads and the event loop.

- :mod:`.server`: lifecycle (bind, signals, drain) and the datagram protocol
- :mod:`.handlers`: one function per OSC address; validate, enqueue, answer
- :mod:`.worker`: the stream worker thread, sole owner of every live stream
- :mod:`.jobs`: the background thread for offline work (files, generate, pair, model loads)
- :mod:`.osc`, :mod:`.files`, :mod:`.midi`, :mod:`.live`: the wire format, file access, MIDI, audio interface
"""

"""Read bcast channels and recordings from Python, decoded with no Rust types.

A bcast channel describes its own message types, so this package needs nothing from the
publisher's code::

    import bcast

    sub = bcast.attach("/dev/shm/feed", timeout=1.0)
    for msg in sub:                      # stops after 1 s without a message
        print(msg.type, msg.seq, msg.fields)

    quotes = sub.batch_numpy("Quote")    # pending pod records as a NumPy structured array

Errors are exceptions derived from :class:`BcastError`, with the Rust library's messages.
"""

from ._bcast import *  # noqa: F403 (the extension's names are the package's)

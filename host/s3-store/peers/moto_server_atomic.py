"""moto's server (`moto_server`) with S3's conditional writes made atomic.

moto 5.x checks `If-None-Match` / `If-Match` and then writes as two separate steps on werkzeug's
request threads, so two racing conditional writers can both pass the check: with 16 racing
`If-None-Match: *` writers from the Rust SDK, about one race in six had two winners. Real S3
decides conditional requests atomically. Serialising the handlers that check a precondition and
then write (one lock shared by them) restores that; every other request stays concurrent.

Usage: python moto_server_atomic.py -H 127.0.0.1 -p PORT   (same arguments as moto_server)
"""

import sys
import threading

from moto.s3.responses import S3Response
from moto.server import main

_LOCK = threading.RLock()

# PutObject, DeleteObject, and POST on a key (CompleteMultipartUpload lives there).
_CONDITIONAL = ("put_object", "delete_object", "_key_response_post")


def _serialised(original):
    def handler(self, *args, **kwargs):
        with _LOCK:
            return original(self, *args, **kwargs)

    handler.__name__ = original.__name__
    handler.__doc__ = original.__doc__
    return handler


for name in _CONDITIONAL:
    if not hasattr(S3Response, name):
        sys.exit(f"moto_server_atomic: this moto has no S3Response.{name}; update the wrapper")
    setattr(S3Response, name, _serialised(getattr(S3Response, name)))

if __name__ == "__main__":
    main(sys.argv[1:])

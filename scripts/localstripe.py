#!/usr/bin/env python3
"""Run localstripe (a fake Stripe API, PyPI package `localstripe`, GPL-3.0) for
the tests, on 127.0.0.1 only, with an empty store.

    python3 -m venv /tmp/ls-venv && /tmp/ls-venv/bin/pip install localstripe==1.15.10
    /tmp/ls-venv/bin/python scripts/localstripe.py 8420
    TAMEIO_TEST_LOCALSTRIPE_URL=http://127.0.0.1:8420 cargo test ...

Why not `localstripe --port 8420 --from-scratch`: that binds every interface
(`::`), and a fake payment provider must not be reachable from outside the
machine. Its app is a module-level aiohttp `web.Application` in
`localstripe.server`, so we serve that same app ourselves on loopback.

Compatibility shim (the only change to localstripe's behaviour): Tameio's
Stripe client sends `allowed_payment_method_types[0]=card`, the parameter of
the API version its client library pins (2026-09-30.endive, where Stripe
refuses the old `payment_method_types`). localstripe speaks 2017-08-15 and
rejects unknown parameters, so the new name is accepted here as the old one.

Why the store is never written: localstripe pickles its whole store to the
fixed path /tmp/localstripe.pickle after every change. Two instances (two
test runs) would then share and overwrite one file, and a later start without
--from-scratch would load stale objects. Each run here starts empty and keeps
its state in memory only.
"""

import argparse
import logging
import os
import sys

# This file is itself named localstripe.py, and Python puts its folder first
# on the import path: drop that entry so `import localstripe` finds the package.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != _here]

from aiohttp import web  # noqa: E402

from localstripe import resources, server  # noqa: E402


def accept_allowed_payment_method_types() -> None:
    """Let PaymentIntent creation take `allowed_payment_method_types` as
    localstripe's `payment_method_types` (which it accepts and ignores)."""
    original = resources.PaymentIntent.__init__

    def __init__(self, *args, allowed_payment_method_types=None, **kwargs):
        if allowed_payment_method_types is not None:
            if kwargs.get("payment_method_types") is not None:
                # Stripe refuses the two together as well.
                raise resources.UserError(400, "Bad request")
            kwargs["payment_method_types"] = allowed_payment_method_types
        original(self, *args, **kwargs)

    resources.PaymentIntent.__init__ = __init__


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", type=int, help="TCP port on 127.0.0.1")
    args = parser.parse_args()

    # A fresh store: nothing loaded from disk, nothing written back.
    resources.store.clear()
    resources.store.dump_to_disk = lambda: None
    accept_allowed_payment_method_types()

    # Webhook delivery results ("webhook ... delivered/failed") are logged on
    # this logger; show them, as localstripe's own CLI does.
    access = logging.getLogger("aiohttp.access")
    access.setLevel(logging.INFO)
    access.addHandler(logging.StreamHandler())

    web.run_app(server.app, host="127.0.0.1", port=args.port,
                access_log=access, print=lambda msg: print(msg, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())

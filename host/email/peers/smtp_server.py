"""An SMTP server on 127.0.0.1 for Wharf's e-mail tests (aiosmtpd).

Each accepted message is written to MAILDIR as <n>.eml (the data as received) and <n>.json
(the envelope: sender, recipients, whether the session was TLS and who logged in).
With --cert/--key the server offers STARTTLS (or, with --implicit-tls, speaks TLS from the
first byte); with --user the login (PLAIN/LOGIN) is required, its password read from the
environment variable WHARF_SMTP_PASSWORD. Prints "ready PORT" once listening.
"""
import argparse
import asyncio
import json
import os
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Store:
    def __init__(self, maildir):
        self.maildir = maildir
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            n = self.count
        base = os.path.join(self.maildir, str(n))
        with open(base + ".eml.part", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        with open(base + ".json.part", "w") as f:
            json.dump({
                "from": envelope.mail_from,
                "to": envelope.rcpt_tos,
                "tls": session.ssl is not None
                or server.transport.get_extra_info("ssl_object") is not None,
                "login": session.auth_data.login.decode()
                if isinstance(session.auth_data, LoginPassword) else None,
            }, f)
        os.replace(base + ".eml.part", base + ".eml")
        os.replace(base + ".json.part", base + ".json")
        return "250 Message accepted for delivery"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user \
                and auth_data.password.decode() == password:
            return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)
    return check


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--maildir", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--implicit-tls", action="store_true")
    p.add_argument("--user")
    a = p.parse_args()
    context = None
    if a.cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(a.cert, a.key)
    kwargs = {}
    if a.user:
        kwargs.update(
            authenticator=authenticator(a.user, os.environ["WHARF_SMTP_PASSWORD"]),
            auth_required=True,
            # Implicit TLS protects the whole session; aiosmtpd checks only STARTTLS here.
            auth_require_tls=context is not None and not a.implicit_tls,
        )
    if context is not None and not a.implicit_tls:
        kwargs.update(tls_context=context, require_starttls=True)
    controller = Controller(
        Store(a.maildir), hostname="127.0.0.1", port=a.port,
        ssl_context=context if a.implicit_tls else None, **kwargs,
    )
    controller.start()
    print("ready", a.port, flush=True)
    # Runs until stdin closes (the test harness's watchdog).
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()

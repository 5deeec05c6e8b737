#!/usr/bin/env python3
# SMTP sink for tests/queue/test_queue_mail.c: a real TLS peer (aiosmtpd) that stores
# each message in a Maildir (aiosmtpd's Mailbox handler, with X-MailFrom/X-RcptTo).
# Usage: smtp_tls_sink.py starttls|tls HOST PORT MAILDIR CERT KEY [USER PASSWORD]
#   starttls: plain connection, STARTTLS required before MAIL (and before AUTH)
#   tls:      implicit TLS (smtps) from the first byte
# With USER and PASSWORD, AUTH is required and only those credentials are accepted.
# Stops on SIGTERM.
import asyncio
import signal
import ssl
import sys

from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def main():
    mode, host, port, maildir, cert, key = sys.argv[1:7]
    creds = tuple(a.encode() for a in sys.argv[7:9]) or None
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    handler = Mailbox(maildir)

    def authenticate(server, session, envelope, mechanism, data):
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == creds
        return AuthResult(success=ok)

    def factory():
        return SMTP(handler, hostname="localhost",
                    tls_context=tls if mode == "starttls" else None,
                    require_starttls=mode == "starttls",
                    auth_required=creds is not None,
                    # implicit TLS is TLS too; aiosmtpd only knows about STARTTLS here
                    auth_require_tls=mode == "starttls",
                    authenticator=authenticate if creds else None)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(
        loop.create_server(factory, host, int(port),
                           ssl=tls if mode == "tls" else None))
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    print(f"smtp {mode} sink on {host}:{port}", flush=True)
    loop.run_forever()
    server.close()
    loop.run_until_complete(server.wait_closed())


if __name__ == "__main__":
    main()

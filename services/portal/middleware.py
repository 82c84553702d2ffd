"""Pure ASGI middleware: the request's language, and the security headers every page carries."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.portal import i18n


def content_security_policy(idp_issuer: str) -> str:
    """No inline script or style, nothing from another host; forms may lead only to us and the IdP.

    ``form-action`` names the identity provider because browsers apply it to the redirect that
    follows a form post too: logging out posts to /logout, which redirects to the IdP.
    """
    idp = urlsplit(idp_issuer)
    idp_origin = f"{idp.scheme}://{idp.netloc}"
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            f"form-action 'self' {idp_origin}",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ]
    )


class PortalHeaders:
    """Sets the language of the request (contextvar + ``request.state.lang``) and security headers."""

    def __init__(self, app: ASGIApp, csp: str, hsts: bool) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", csp.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"same-origin"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"cross-origin-resource-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
        ]
        if hsts:
            self.headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        lang = i18n.pick_language(request)
        scope.setdefault("state", {})["lang"] = lang
        token = i18n.current_language.set(lang)
        is_static = scope.get("path", "").startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers.extend((k, v) for k, v in self.headers if k not in present)
                if b"cache-control" not in present:
                    # Pages hold personal data: never cached. Static files say their own policy.
                    headers.append((b"cache-control", b"public, max-age=3600" if is_static else b"no-store"))
                headers.append((b"vary", b"Cookie, Accept-Language"))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, with_headers)
        finally:
            i18n.current_language.reset(token)

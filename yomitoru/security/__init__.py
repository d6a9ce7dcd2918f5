"""Authentication and leak-prevention rules (DESIGN.md "My Number protection").

- ``twofactor``: who needs TOTP, and the middleware that sends them to verify first.
- ``twofactor_views``: the TOTP verification and enrolment pages.
- ``sessions``: absolute session timeout, ending a user's sessions.
- ``users``: the admin's user change ends the sessions of a user it disables.
- ``lockout``: every django-axes lockout becomes an audit entry.
- ``headers``: Content-Security-Policy and no-store on authenticated responses.
"""

from yomitoru.security.headers import SecurityHeadersMiddleware

__all__ = ["SecurityHeadersMiddleware"]

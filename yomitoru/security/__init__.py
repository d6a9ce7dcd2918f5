"""Authentication and leak-prevention rules (DESIGN.md "My Number protection").

- ``twofactor``: who needs TOTP, and the middleware that sends them to verify first.
- ``twofactor_views``: the TOTP verification and enrolment pages.
- ``sessions``: absolute session timeout, ending a user's sessions.
- ``users``: the admin's user change ends the sessions of a user it disables.
- ``devices``: the admin's authenticator pages, which never show a key.
- ``lockout``: django-axes keeps no number typed at the login.
- ``grants``: object permissions as the project reads them (no global grant, no superuser).
- ``headers``: Content-Security-Policy and no-store on authenticated responses.
"""

from yomitoru.security.headers import SecurityHeadersMiddleware

__all__ = ["SecurityHeadersMiddleware"]

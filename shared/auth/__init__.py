"""Staff sign-in: accounts and roles, Argon2 passwords, signed session cookies, FastAPI dependencies.

    from shared.auth import Account, Role, staff
    @router.post(...)
    async def handler(..., account: Account = Depends(staff(Role.CLERK, Role.LEADER))): ...

Clients send HTTP Basic credentials or the `dvc_session` cookie from `POST /api/v1/session`.
Accounts are written by `python -m deploy.users` (`make user`).
"""

from shared.auth.accounts import MIGRATIONS, ROLE_NAMES_VI, Account, Role
from shared.auth.http import Authenticator, optional_staff, require_role, staff

__all__ = ["MIGRATIONS", "ROLE_NAMES_VI", "Account", "Authenticator", "Role", "optional_staff", "require_role", "staff"]

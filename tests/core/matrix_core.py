from permission_matrix import REDIRECT, RouteSpec, everyone, roles
from qadam.core.roles import Role

ROUTES = [
    RouteSpec("core:home", everyone()),
    RouteSpec("core:login", everyone(), ok=REDIRECT),  # signed-in users are sent home
    RouteSpec("core:logout", everyone(), method="POST", ok=REDIRECT),
    RouteSpec(
        "core:set_language",
        everyone(),
        method="POST",
        ok=REDIRECT,
        data=lambda w: {"language": "ru", "next": "/"},
    ),
    RouteSpec("core:audit_list", roles(Role.AUDITOR)),
]

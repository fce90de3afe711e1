from django.http import Http404
from ninja import Router, Schema, Status
from pydantic import Field

from fupin.api.base import Error, actor, paginate
from fupin.core.errors import Forbidden

from . import actions
from .queries import search_users, visible_users
from .scoping import can

router = Router(tags=["accounts"])


class RoleOut(Schema):
    role: str
    area_code: str | None = Field(None, alias="area.code")
    area_name: str | None = Field(None, alias="area.name")


class UserOut(Schema):
    id: int
    username: str
    full_name: str
    unit: str | None = Field(None, alias="unit.name")
    post: str
    is_active: bool
    roles: list[RoleOut]

    @staticmethod
    def resolve_roles(obj):
        return list(obj.roles.all())


class UserPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[UserOut]


class UserIn(Schema):
    username: str
    role: str
    area_code: str | None = None
    full_name: str = ""
    phone: str = ""
    post: str = ""
    password: str | None = None


class UserCreated(Schema):
    user: UserOut
    password: str


@router.get("/me", response=UserOut, summary="The token's owner and roles")
def me(request):
    return visible_users(request.user).get(pk=request.user.pk)


@router.get("/users", response=UserPage, summary="Users in your area")
def users(request, q: str = "", role: str = "", page: int = 1, page_size: int = 50):
    if not can(request.user, "users.view"):
        raise Forbidden()
    return paginate(search_users(request.user, q, role).order_by("username"), page, page_size)


@router.get("/users/{user_id}", response={200: UserOut, 404: Error}, summary="One user in your area")
def user(request, user_id: int):
    if not can(request.user, "users.view"):
        raise Http404
    try:
        return visible_users(request.user).get(pk=user_id)
    except Exception:
        raise Http404 from None


@router.post("/users", response={201: UserCreated, 403: Error, 422: Error}, summary="Create a user with one role")
def create_user(request, payload: UserIn):
    u, password = actions.create_user(actor(request), username=payload.username, role=payload.role,
                                      area_code=payload.area_code, full_name=payload.full_name,
                                      phone=payload.phone, post=payload.post, password=payload.password)
    return Status(201, {"user": visible_users(request.user).get(pk=u.pk), "password": password})

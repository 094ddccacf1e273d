from ninja import Router, Schema

router = Router(tags=["accounts"])


class RoleOut(Schema):
    role: str
    organization: str | None
    competition: str | None


class MeOut(Schema):
    username: str
    name: str
    person_id: int | None
    roles: list[RoleOut]


@router.get("/me", response=MeOut)
def me(request):
    user = request.user
    return {
        "username": user.username, "name": user.name, "person_id": user.person_id,
        "roles": [
            {"role": r.role, "organization": r.organization.code if r.organization_id else None,
             "competition": r.competition.code if r.competition_id else None}
            for r in user.roles.select_related("organization", "competition")
        ],
    }

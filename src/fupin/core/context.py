from django.urls import NoReverseMatch, reverse

from fupin.accounts.scoping import can

from .menu import MENU


def shell(request):
    """The menu sections the user may see, with the current item marked."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    path = request.path
    sections = []
    for section in MENU:
        items = []
        for item in section["items"]:
            if not can(user, item["perm"]):
                continue
            try:
                url = reverse(item["url"])
            except NoReverseMatch:
                continue
            items.append({**item, "href": url, "active": path == url or (url != "/" and path.startswith(url))})
        if items:
            sections.append({"title": section["title"], "items": items})
    return {"menu": sections}

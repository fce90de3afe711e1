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
            items.append({**item, "href": url, "active": False})
        if items:
            sections.append({"title": section["title"], "items": items})
    # One item is current: the one whose address is the longest prefix of the page's
    # (/registry/quality/duplicates/ is 疑似重复人员, not 数据质量 too).
    matches = [i for s in sections for i in s["items"]
               if path == i["href"] or (i["href"] != "/" and path.startswith(i["href"]))]
    if matches:
        max(matches, key=lambda i: len(i["href"]))["active"] = True
    return {"menu": sections}

"""Submit a Django admin form as a browser would: every field as the page shows it, with a few changed."""

from html.parser import HTMLParser


class _FormFields(HTMLParser):
    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.data: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def _add(self, name: str, value: str) -> None:
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = values.get("id") == self.form_id
            return
        if not self.inside:
            return
        name = values.get("name")
        if tag == "input" and name:
            kind = values.get("type", "text")
            if kind in {"checkbox", "radio"}:
                if "checked" in values:
                    self._add(name, values.get("value", "on"))
            elif kind not in {"file", "submit", "button", "image", "reset"}:
                self._add(name, values.get("value", ""))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in values:
            self._add(self._select, values.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self._add(name, "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][-1] += data.lstrip("\n") if not self.data[self._textarea][-1] else data


def admin_form_data(html: str, form_id: str) -> dict[str, list[str] | str]:
    parser = _FormFields(form_id)
    parser.feed(html)
    return {name: values if len(values) > 1 else values[0] for name, values in parser.data.items()}

"""拓客辅助 pages (/promo/…): a project's promotion materials — the channel team uploads them; brokers and
consultants read them and download their personal poster (PNG) to post in WeChat Moments.

Views parse, call `brokers.posters`, and render. Uploads are checked by the form (`UploadedImageField`: size,
pixels, readable) before the service stores them re-encoded; a hostile file is a 400 naming the field.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from yunlou.brokers.models import MaterialKind
from yunlou.brokers.posters import material_create, material_list, poster_make, promo_access, share_link
from yunlou.core.errors import DomainError
from yunlou.core.forms import CleanCharField, form_error_add
from yunlou.core.images import UploadedImageField
from yunlou.core.parsing import positive_int

BODY_MAX = 4000


class MaterialForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=MaterialKind.choices, initial=MaterialKind.POSTER)
    title = CleanCharField(label=gettext_lazy("Title"), max_length=60)
    body = CleanCharField(label=gettext_lazy("Text"), max_length=BODY_MAX, required=False,
                          widget=forms.Textarea(attrs={"rows": 5}))
    image = UploadedImageField(label=gettext_lazy("Image"), required=False,
                               widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))


@login_required
@require_http_methods(["GET", "POST"])
def materials(request, project_id: int):
    access = promo_access(user=request.user, project_id=project_id)
    form = MaterialForm(request.POST or None, request.FILES or None) if access.can_manage else None
    status = 200
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                material_create(access=access, kind=data["kind"], title=data["title"], body=data["body"],
                                image=data["image"], request=request)
            except DomainError as error:
                form_error_add(form, error)
            else:
                messages.success(request, _("Material added."))
                return redirect("promo:materials", project_id=access.project.pk)
    items = list(material_list(access=access))
    return render(request, "brokers/promo/materials.html", {
        "access": access, "project": access.project, "form": form,
        "posters": [m for m in items if m.kind == MaterialKind.POSTER],
        "copies": [m for m in items if m.kind == MaterialKind.COPY],
        "tutorials": [m for m in items if m.kind == MaterialKind.TUTORIAL],
        "link": share_link(access=access) if access.can_share else "",
    }, status=status)


@login_required
@require_GET
def poster(request, project_id: int):
    """The caller's personal poster (PNG, 750 × 1334), of the chosen poster material or the project's cover."""
    access = promo_access(user=request.user, project_id=project_id)
    png = poster_make(access=access, material_id=positive_int(request.GET.get("material")))
    response = HttpResponse(png, content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="poster-{access.project.pk}.png"'
    response["Cache-Control"] = "private, max-age=300"
    return response

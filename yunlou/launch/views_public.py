"""The public lottery page (摇号公示): what was published before and after the draw, and a form that re-runs the
draw (`lottery.verify`) on whatever a visitor pastes — prefilled with the published values — and names each claim
that does not hold. Pledge numbers only: never a name, phone or ID number."""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from yunlou.launch import lottery, selectors
from yunlou.launch.forms import VerifyForm


def _initial(public: selectors.PublicLottery) -> dict:
    launch = public.launch
    return {"pledge_numbers": "\n".join(public.numbers), "list_digest": launch.list_digest,
            "seed_commitment": launch.seed_commitment, "seed": public.seed, "public_value": launch.public_value,
            "order": "\n".join(public.order)}


@require_http_methods(["GET", "POST"])
def lottery_page(request, launch_id: int):
    public = selectors.public_lottery(launch_id=launch_id)
    verification, status = None, 200
    if request.method == "POST":
        form = VerifyForm(request.POST)
        if form.is_valid():
            verification = lottery.verify(form.published())
        else:
            status = 400
    else:
        form = VerifyForm(initial=_initial(public))
    return render(request, "launch/public/lottery.html", {
        "public": public, "launch": public.launch, "project": public.launch.project, "form": form,
        "verification": verification, "algorithm": lottery.ALGORITHM,
        "places": list(enumerate(public.order, start=1)),
    }, status=status)


def _text(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def lottery_list_text(request, launch_id: int):
    """The canonical list, byte for byte what the published SHA-256 is of (`sha256sum list.txt` checks it)."""
    public = selectors.public_lottery(launch_id=launch_id)
    return _text(lottery.canonical_list(public.numbers), f"launch-{launch_id}-list.txt")


def lottery_order_text(request, launch_id: int):
    public = selectors.public_lottery(launch_id=launch_id)
    return _text("".join(f"{number}\n" for number in public.order).encode("utf-8"), f"launch-{launch_id}-order.txt")

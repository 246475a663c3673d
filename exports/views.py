"""The health centre's page for export batches: list, download, confirm the import.

Every view needs the health_centre role and a second factor verified in this session
(core.access.role_required). Downloads are POST (with CSRF), not GET: a download is an
audited act with a side effect (the batch becomes "downloaded"), and a link on another
site must not be able to make a staff browser perform one.
"""

from collections.abc import Callable

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.context import AuditContext
from core.access import role_required
from core.roles import HEALTH_CENTRE
from exports import services
from exports.models import Batch

PAGE_SIZE = 50


@role_required(HEALTH_CENTRE)
@require_GET
def batch_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(
        Batch.objects.select_related(
            "first_downloaded_by", "last_downloaded_by", "confirmed_by", "deleted_by"
        ),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    return render(request, "exports/batch_list.html", {"page": page, "batches": page.object_list})


def _refusal(
    request: HttpRequest, batch: Batch | None, *, status: int, message: str
) -> HttpResponse:
    return render(
        request, "exports/refused.html", {"batch": batch, "message": message}, status=status
    )


@role_required(HEALTH_CENTRE)
@require_POST
def batch_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    try:
        handle, filename = services.batch_open_for_download(
            batch_id=pk, audit_context=AuditContext.from_request(request)
        )
    except Batch.DoesNotExist:
        raise Http404 from None
    except services.BatchUnavailable as exc:
        return _refusal(
            request,
            exc.args[0],
            status=410,
            message=_("This batch's file has already been deleted."),
        )
    except services.BatchFileCorrupt as exc:
        return _refusal(
            request,
            exc.args[0],
            status=409,
            message=_(
                "The stored file is missing or no longer matches its SHA-256, so it is not "
                "handed out. Please tell the system administrator."
            ),
        )
    except services.AuditUnavailable:
        return _refusal(
            request,
            None,
            status=503,
            message=_(
                "The download could not be recorded in the audit log, so it was refused. "
                "Please try again later."
            ),
        )
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type="application/pkcs7-mime; smime-type=enveloped-data",
    )
    response["Cache-Control"] = "no-store"
    return response


def _delete_view(
    request: HttpRequest, pk: int, *, action: Callable[..., Batch], template: str, done: str
) -> HttpResponse:
    batch = get_object_or_404(Batch, pk=pk)
    if request.method == "GET":
        if not batch.has_file:
            return _refusal(
                request, batch, status=410, message=_("This batch's file has already been deleted.")
            )
        return render(request, template, {"batch": batch})
    try:
        action(batch_id=pk, audit_context=AuditContext.from_request(request))
    except services.BatchUnavailable:
        return _refusal(
            request, batch, status=410, message=_("This batch's file has already been deleted.")
        )
    except services.BatchStateError:
        return _refusal(
            request,
            batch,
            status=409,
            message=_("A batch can be confirmed as imported only after it has been downloaded."),
        )
    except services.AuditUnavailable:
        return _refusal(
            request,
            batch,
            status=503,
            message=_(
                "The deletion could not be recorded in the audit log, so nothing was "
                "deleted. Please try again later."
            ),
        )
    messages.success(request, done % {"id": pk})
    return HttpResponseRedirect(reverse("exports:list"))


def _delete_page(
    action: Callable[..., Batch], *, template: str, done: str | Promise
) -> Callable[[HttpRequest, int], HttpResponseBase]:
    """A confirm-then-delete page: GET shows what will happen, POST calls `action`."""

    @role_required(HEALTH_CENTRE)
    @require_http_methods(["GET", "POST"])
    def page(request: HttpRequest, pk: int) -> HttpResponse:
        return _delete_view(request, pk, action=action, template=template, done=str(done))

    return page


# GET: what will happen; POST: the import is confirmed and the file deleted.
batch_confirm = _delete_page(
    services.batch_confirm_import,
    template="exports/batch_confirm.html",
    done=gettext_lazy("Batch %(id)s: import confirmed, file deleted."),
)
# GET: what will happen; POST: the file is deleted without an import.
batch_discard = _delete_page(
    services.batch_discard,
    template="exports/batch_discard.html",
    done=gettext_lazy("Batch %(id)s: file deleted without import."),
)

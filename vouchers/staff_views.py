"""Staff pages of the city's list: see the current list, upload a new one, preview, commit.

Health centre and administrators (core.access.any_role_required, second factor verified).
The upload is previewed (column mapping, counts, refusals by line) and committed by a
second POST carrying a signed token of the pending upload and its file's SHA-256: what is
committed is exactly what was previewed.
"""

from __future__ import annotations

from django.contrib import messages
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

import audit
from audit.context import AuditContext
from core.access import any_role_required
from core.roles import ADMINISTRATOR, HEALTH_CENTRE
from vouchers import importer, services
from vouchers.fees import unconfigured_fee_classes
from vouchers.forms import ListUploadForm
from vouchers.models import VoucherList

COMMIT_SALT = "vouchers.list.commit"
COMMIT_MAX_AGE = 60 * 60
FIELD_LABELS = {
    "number": "受診券番号",
    "birth_date": "生年月日",
    "sex": "性別",
    "screenings": "受診可能検診",
    "fee_class": "費用区分",
}

staff_only = any_role_required(HEALTH_CENTRE, ADMINISTRATOR)


def _list_page(
    request: HttpRequest,
    form: ListUploadForm,
    *,
    parsed: importer.ParsedFile | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "form": form,
        "current": VoucherList.objects.filter(is_current=True).select_related("created_by").first(),
        "field_labels": FIELD_LABELS,
        "fields": importer.FIELDS,
        "parsed": parsed,
        "errors_shown": parsed.errors[: importer.MAX_ERRORS_SHOWN] if parsed else [],
        "max_mb": importer.MAX_FILE_BYTES // 1024 // 1024,
    }
    return render(request, "vouchers/list.html", context, status=status)


@staff_only
@require_GET
def voucher_list(request: HttpRequest) -> HttpResponse:
    return _list_page(request, ListUploadForm())


@staff_only
@require_POST
def voucher_upload(request: HttpRequest) -> HttpResponse:
    """Read the file and show the preview, or every bad line; nothing is imported here."""
    form = ListUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _list_page(request, form, status=400)
    context = AuditContext.from_request(request)
    parsed, pending = services.voucher_list_stage(
        data=form.cleaned_data["file"], audit_context=context
    )
    if pending is None:
        audit.record(
            action="vouchers.list.refused",
            context=context,
            target_type="vouchers.VoucherList",
            outcome="failed",
            details={"errors": len(parsed.errors), "file_sha256": parsed.sha256},
        )
        return _list_page(request, form, parsed=parsed, status=400)
    audit.record(
        action="vouchers.list.previewed",
        context=context,
        target_type="vouchers.PendingImport",
        target_id=pending.pk,
        details={"rows": len(parsed.rows), "file_sha256": parsed.sha256},
    )
    token = signing.dumps({"pending": pending.pk, "sha256": pending.file_sha256}, salt=COMMIT_SALT)
    current = VoucherList.objects.filter(is_current=True).first()
    return render(
        request,
        "vouchers/preview.html",
        {
            "parsed": parsed,
            "field_labels": FIELD_LABELS,
            "token": token,
            "current": current,
            # Codes that would charge the usual fee because admin does not configure them.
            "unconfigured_fee_classes": unconfigured_fee_classes(
                row.fee_class for row in parsed.rows
            ),
        },
    )


@staff_only
@require_POST
def voucher_commit(request: HttpRequest) -> HttpResponse:
    """Replace the current list with the previewed one (one transaction, audited)."""
    try:
        signed = signing.loads(
            request.POST.get("token", ""), salt=COMMIT_SALT, max_age=COMMIT_MAX_AGE
        )
        pending_id, sha256 = int(signed["pending"]), str(signed["sha256"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return _refused(
            request, _("This preview has expired or is not valid. Upload the file again."), 400
        )
    try:
        new_list = services.voucher_list_replace(
            pending_id=pending_id,
            file_sha256=sha256,
            audit_context=AuditContext.from_request(request),
        )
    except services.PendingImportGone:
        return _refused(
            request,
            _(
                "This upload was already imported or replaced by a newer upload. "
                "Nothing was changed."
            ),
            409,
        )
    messages.success(
        request,
        _("The list was imported: %(rows)s people. The previous list was replaced.")
        % {"rows": new_list.row_count},
    )
    return HttpResponseRedirect(reverse("vouchers_staff:list"), status=303)


def _refused(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "vouchers/refused.html", {"message": message}, status=status)

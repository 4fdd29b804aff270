from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path

from documents import annotation_views, bin_views, offline_views, pack_views, reader_views, reading_views
from documents import views as document_views
from meetings import builder, calendar, mentions, resolutions
from meetings import views as meeting_views
from public import views as public_views

from . import account_views, audit_views, headers, views

urlpatterns = [
    path("", meeting_views.home, name="home"),
    path("boards/<int:pk>/", meeting_views.board_detail, name="board"),
    path("meetings/<int:pk>/", meeting_views.meeting_detail, name="meeting"),
    path("items/<int:pk>/mentions/", mentions.mention_suggestions, name="mention_suggestions"),
    path("meetings/<int:pk>/as/", meeting_views.meeting_view_as, name="meeting_view_as_choose"),
    path("meetings/<int:pk>/as/<int:user_pk>/", meeting_views.meeting_view_as, name="meeting_view_as"),
    path("boards/<int:board_pk>/meetings/new/", builder.meeting_new, name="meeting_new"),
    path("meetings/<int:pk>/details/", builder.meeting_edit, name="meeting_edit"),
    path("meetings/<int:pk>/agenda/", builder.builder, name="agenda_builder"),
    path("meetings/<int:pk>/agenda/items/", builder.item_add, name="agenda_item_add"),
    path("meetings/<int:pk>/agenda/items/<int:item_pk>/", builder.item_edit, name="agenda_item_edit"),
    path("meetings/<int:pk>/agenda/items/<int:item_pk>/delete/", builder.item_delete, name="agenda_item_delete"),
    path("meetings/<int:pk>/agenda/items/<int:item_pk>/move/", builder.item_move, name="agenda_item_move"),
    path("meetings/<int:pk>/agenda/order/", builder.reorder, name="agenda_reorder"),
    path("meetings/<int:pk>/agenda/items/<int:item_pk>/papers/", builder.paper_add, name="paper_add"),
    path("meetings/<int:pk>/papers/<int:paper_pk>/versions/", builder.paper_replace, name="paper_replace"),
    path("meetings/<int:pk>/uploads/<int:version_pk>/", builder.upload_status, name="upload_status"),
    path("meetings/<int:pk>/papers/<int:paper_pk>/delete/", builder.paper_remove, name="paper_remove"),
    path("meetings/<int:pk>/papers/<int:paper_pk>/move/", builder.paper_move, name="paper_move"),
    path("meetings/<int:pk>/agenda/standing/", builder.standing_items, name="agenda_standing"),
    path("meetings/<int:pk>/agenda/clone/", builder.clone, name="agenda_clone"),
    path("meetings/<int:pk>/publish/", builder.publish, name="meeting_publish"),
    path("boards/<int:board_pk>/resolutions/new/", resolutions.resolution_new, name="resolution_new"),
    path("resolutions/<int:pk>/", resolutions.resolution_detail, name="resolution"),
    path("resolutions/<int:pk>/edit/", resolutions.resolution_edit, name="resolution_edit"),
    path("resolutions/<int:pk>/circulate/", resolutions.resolution_circulate, name="resolution_circulate"),
    path("resolutions/<int:pk>/withdraw/", resolutions.resolution_withdraw, name="resolution_withdraw"),
    path("resolutions/<int:pk>/vote/", resolutions.resolution_vote, name="resolution_vote"),
    path("resolutions/<int:pk>/declare/", resolutions.resolution_declare, name="resolution_declare"),
    path("meetings/<int:pk>/calendar.ics", login_required(calendar.meeting_ics), name="meeting_ics"),
    path("calendar/<str:token>.ics", calendar.feed, name="calendar_feed"),
    path("meetings/<int:pk>/pack.pdf", pack_views.meeting_pack, name="meeting_pack"),
    path("meetings/<int:pk>/agenda.pdf", pack_views.meeting_agenda_pdf, name="meeting_agenda_pdf"),
    path("meetings/<int:pk>/pack/status/", pack_views.pack_status, name="pack_status"),
    path("meetings/<int:pk>/pack/compile/", pack_views.pack_compile, name="pack_compile"),
    path("papers/<int:pk>/pdf", document_views.paper_download, name="paper_download"),
    path("papers/<int:pk>/read", reader_views.paper_read, name="paper_read"),
    path("papers/<int:pk>/thumbs/<int:index>.webp", reader_views.paper_thumbs, name="paper_thumbs"),
    path("papers/<int:pk>/annotations/", annotation_views.paper_annotations, name="paper_annotations"),
    path("papers/<int:pk>/annotations.jsonld", annotation_views.annotations_export, name="annotations_export"),
    path("papers/<int:pk>/annotated.pdf", annotation_views.annotated_copy, name="annotated_copy"),
    path("annotations/<int:pk>/", annotation_views.annotation_detail, name="annotation"),
    path("ns/annotations.jsonld", annotation_views.annotation_context, name="annotation_context"),
    path("papers/<int:pk>/versions/<int:number>/pdf", document_views.paper_version_download, name="paper_version"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/verify/", account_views.verify, name="two_factor_verify"),
    path("accounts/two-factor/", account_views.setup, name="two_factor_setup"),
    path("accounts/security/", account_views.security, name="security"),
    path("accounts/recovery-codes/", account_views.recovery_codes, name="recovery_codes"),
    path("accounts/sign-out-everywhere/", account_views.sign_out_everywhere, name="sign_out_everywhere"),
    path("accounts/calendar-link/", account_views.calendar_renew, name="calendar_renew"),
    path("boards/<int:pk>/audit/", audit_views.audit_log, name="audit_log"),
    path("boards/<int:pk>/audit.csv", audit_views.audit_export, name="audit_export"),
    path("boards/<int:pk>/public-site/", public_views.public_settings, name="public_settings"),
    path("boards/<int:pk>/paper-saved/", public_views.paper_saved, name="paper_saved"),
    path("meetings/<int:pk>/public-questions/", public_views.moderation, name="public_moderation"),
    path(
        "meetings/<int:pk>/public-questions/<int:question_pk>/<str:action>/",
        public_views.moderate,
        name="public_moderate",
    ),
    path("public/", include("public.urls")),
    path("", include("minutes.urls")),
    path("", include("interests.urls")),
    path("robots.txt", headers.robots_txt, name="robots_txt"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("sw.js", offline_views.service_worker, name="service_worker"),
    path("meetings/<int:pk>/reading/", reading_views.read_status, name="read_status"),
    path("meetings/<int:pk>/bin/", bin_views.paper_bin, name="paper_bin"),
    path("meetings/<int:pk>/bin/<int:paper_pk>/restore/", bin_views.paper_bin_restore, name="paper_bin_restore"),
    path("meetings/<int:pk>/bin/<int:paper_pk>/delete/", bin_views.paper_bin_delete, name="paper_bin_delete"),
    path("meetings/<int:pk>/reading/remind/", reading_views.remind, name="read_remind"),
    path("offline/keep.json", offline_views.offline_keep, name="offline_keep"),
    path("offline/", offline_views.offline_home, name="offline_home"),
    path("manifest.webmanifest", offline_views.web_manifest, name="web_manifest"),
    path("favicon.ico", offline_views.favicon, name="favicon"),
    path("meetings/<int:pk>/offline.json", offline_views.meeting_offline, name="meeting_offline"),
    path("admin/", admin.site.urls),
]

handler404 = "boardroom.views.not_found"
handler403 = "boardroom.views.forbidden"
handler400 = "boardroom.views.bad_request"
handler500 = "boardroom.views.server_error"

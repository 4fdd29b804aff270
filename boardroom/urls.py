from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from documents import views as document_views
from meetings import views as meeting_views

from . import views

urlpatterns = [
    path("", meeting_views.home, name="home"),
    path("boards/<int:pk>/", meeting_views.board_detail, name="board"),
    path("meetings/<int:pk>/", meeting_views.meeting_detail, name="meeting"),
    path("papers/<int:pk>/pdf", document_views.paper_download, name="paper_download"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]

handler404 = "boardroom.views.not_found"
handler403 = "boardroom.views.forbidden"
handler400 = "boardroom.views.bad_request"
handler500 = "boardroom.views.server_error"

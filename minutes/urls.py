from django.urls import path

from search import views as search_views

from . import views

urlpatterns = [
    path("meetings/<int:pk>/minutes/", views.minutes_page, name="minutes"),
    path("meetings/<int:pk>/minutes.pdf", views.minutes_pdf, name="minutes_pdf"),
    path("meetings/<int:pk>/minutes/circulate/", views.minutes_circulate, name="minutes_circulate"),
    path("meetings/<int:pk>/minutes/reopen/", views.minutes_reopen, name="minutes_reopen"),
    path("meetings/<int:pk>/minutes/approve/", views.minutes_approve, name="minutes_approve"),
    path("meetings/<int:pk>/minutes/approval-route/", views.approval_route_add, name="minutes_approval_route"),
    path("meetings/<int:pk>/minutes/sign/", views.minutes_sign, name="minutes_sign"),
    path("meetings/<int:pk>/minutes/comment/", views.minutes_comment, name="minutes_comment"),
    path("meetings/<int:pk>/minutes/amend/", views.minutes_amend, name="minutes_amend"),
    path("minutes/entries/<int:pk>/", views.entry_save, name="minute_save"),
    path("minutes/entries/<int:pk>/actions/", views.action_add, name="action_add"),
    path("actions/", views.actions_tracker, name="actions"),
    path("actions/<int:pk>/status/", views.action_update, name="action_update"),
    path("actions/<int:pk>/remove/", views.action_remove, name="action_remove"),
    path("archive/", views.archive, name="archive"),
    path("search/", search_views.search_page, name="search"),
]

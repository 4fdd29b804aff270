from django.urls import path

from . import views

app_name = "interests"

urlpatterns = [
    path("boards/<int:pk>/interests/", views.register, name="register"),
    path("boards/<int:pk>/interests/new/", views.interest_new, name="new"),
    path("interests/<int:pk>/", views.interest_edit, name="edit"),
    path("interests/<int:pk>/end/", views.interest_end, name="end"),
    path("interests/from-declaration/<int:pk>/", views.from_declaration, name="from_declaration"),
    path("interests/<int:pk>/items/<int:item_pk>/declare/", views.declare, name="declare"),
    path("interests/<int:pk>/items/<int:item_pk>/not-relevant/", views.not_relevant, name="not_relevant"),
    path("meetings/<int:pk>/interests/", views.meeting_interests, name="meeting"),
    path("meetings/<int:pk>/interests/tags/<int:tag_pk>/remove/", views.untag, name="untag"),
]

"""Inquiries: the contact form (mounted at /contact/), the queue and the routing table."""

from django.urls import path

from battkomp.contact import views

app_name = "contact"
urlpatterns = [
    path("", views.contact, name="contact"),
    path("sent/", views.sent, name="sent"),
    path("inquiries/", views.queue, name="queue"),
    path("inquiries/<int:pk>/", views.detail, name="detail"),
    path("inquiries/<int:pk>/assign/", views.assign, name="assign"),
    path("inquiries/<int:pk>/answer/", views.answer, name="answer"),
    path("inquiries/<int:pk>/close/", views.close, name="close"),
    path("inquiries/<int:pk>/reopen/", views.reopen, name="reopen"),
    path("rules/", views.rules, name="rules"),
    path("rules/new/", views.rule_new, name="rule_new"),
    path("rules/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/delete/", views.rule_delete, name="rule_delete"),
]

from django.urls import path

from portal import views

app_name = "portal"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("work/<int:pk>/claim/", views.WorkItemClaimView.as_view(), name="workitem_claim"),
    path("work/<int:pk>/complete/", views.WorkItemCompleteView.as_view(), name="workitem_complete"),
    path("healthz", views.healthz, name="healthz"),
]

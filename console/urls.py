"""Console URLs. Names follow `console:<model>_<action>`."""

from django.urls import path

from console import views

app_name = "console"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("properties/", views.PropertyListView.as_view(), name="property_list"),
    path("properties/add/", views.PropertyCreateView.as_view(), name="property_add"),
    path("properties/<str:key>/edit/", views.PropertyUpdateView.as_view(), name="property_edit"),
    path(
        "properties/<str:key>/delete/", views.PropertyDeleteView.as_view(), name="property_delete"
    ),
    path("users/", views.UserListView.as_view(), name="user_list"),
    path("users/<int:pk>/", views.UserDetailView.as_view(), name="user_detail"),
    path("users/<int:pk>/edit/", views.UserUpdateView.as_view(), name="user_edit"),
    path("users/<int:pk>/roles/", views.UserRolesView.as_view(), name="user_roles"),
    path(
        "users/<int:pk>/deactivate/",
        views.UserActivationView.as_view(active=False),
        name="user_deactivate",
    ),
    path(
        "users/<int:pk>/activate/",
        views.UserActivationView.as_view(active=True),
        name="user_activate",
    ),
    path("roles/", views.RoleListView.as_view(), name="role_list"),
    path("roles/add/", views.RoleCreateView.as_view(), name="role_add"),
    path("roles/<int:pk>/edit/", views.RoleUpdateView.as_view(), name="role_edit"),
    path("roles/<int:pk>/delete/", views.RoleDeleteView.as_view(), name="role_delete"),
    path("auth-log/", views.AuthEventListView.as_view(), name="authevent_list"),
    path("auth-log/<int:pk>/", views.AuthEventDetailView.as_view(), name="authevent_detail"),
    path("changes/", views.ChangeLogEntryListView.as_view(), name="changelogentry_list"),
    path("preview/", views.PreviewView.as_view(), name="preview"),
]

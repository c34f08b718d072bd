from django.contrib import admin

from identity.models import Role, User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["username", "domain", "email", "is_active", "is_staff", "auto_provisioned"]
    search_fields = ["username", "domain", "email", "full_name"]
    list_filter = ["is_active", "is_staff", "auto_provisioned", "domain"]
    filter_horizontal = ["roles"]
    exclude = ["password", "user_permissions", "groups"]


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["name", "display_name"]
    search_fields = ["name", "display_name"]

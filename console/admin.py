from django.contrib import admin

from console.models import CustomProperty


@admin.register(CustomProperty)
class CustomPropertyAdmin(admin.ModelAdmin):
    """Read-only here: properties are validated and logged only through the console."""

    list_display = ["key", "value", "updated_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

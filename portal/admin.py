from django.contrib import admin

from portal.models import WorkItem


@admin.register(WorkItem)
class WorkItemAdmin(admin.ModelAdmin):
    list_display = ["title", "assignee", "status", "due_date", "claimed_by", "created_at"]
    list_filter = ["status", "assigned_role"]
    search_fields = ["title", "description"]
    autocomplete_fields = ["assigned_user", "claimed_by"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "claimed_at", "completed_at"]

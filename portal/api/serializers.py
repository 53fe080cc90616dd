from django.contrib.auth import get_user_model

from portal.api import strict as serializers
from portal.models import Department


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "code", "name", "name_en", "is_active"]


class UserSummarySerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "display_name"]


class CurrentUserSerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(source="__str__", read_only=True)
    department = DepartmentSerializer(read_only=True, allow_null=True)
    roles = serializers.SerializerMethodField()
    permissions = serializers.SerializerMethodField()

    class Meta:
        model = get_user_model()
        fields = [
            "id",
            "username",
            "display_name",
            "email",
            "language",
            "email_notifications",
            "department",
            "roles",
            "permissions",
        ]
        read_only_fields = ["id", "username", "email", "language"]

    def get_roles(self, user) -> list[str]:
        return sorted(user.role_names)

    def get_permissions(self, user) -> list[str]:
        return sorted(user.get_all_permissions())

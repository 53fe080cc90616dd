from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """``page`` from 1 (a page that does not exist is a 404); ``page_size`` from 1, above
    ``max_page_size`` it is capped. A ``page`` or ``page_size`` that is not a positive number
    (empty included) is a 400 naming it (DRF's default would quietly give the first page,
    or the default size)."""

    page_size_query_param = "page_size"
    max_page_size = 200
    _size_field = serializers.IntegerField(min_value=1)

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = self._size_field.run_validation(raw)
        except ValidationError as error:
            raise ValidationError({self.page_size_query_param: error.detail}) from error
        return min(size, self.max_page_size)

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        if raw is None or raw in self.last_page_strings:
            return super().get_page_number(request, paginator)
        try:
            return self._size_field.run_validation(raw)
        except ValidationError as error:
            raise ValidationError({self.page_query_param: error.detail}) from error

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
        return parameters

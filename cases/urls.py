from django.urls import path, register_converter

from . import views


class CountryCodeConverter:
    regex = "[a-zA-Z]{2}"

    def to_python(self, value):
        return value.upper()

    def to_url(self, value):
        return value.lower()


register_converter(CountryCodeConverter, "country")

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("export.json", views.export_json, name="export_json"),
    # Before the country pattern; "statistics" is not two letters, so they never clash anyway.
    path("statistics/", views.statistics, name="statistics"),
    path("<country:country_code>/", views.country_detail, name="country"),
    path("<country:country_code>/<slug:slug>/", views.case_detail, name="detail"),
]

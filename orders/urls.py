"""URLs of the orders app (``orders:`` namespace); public ids are UUIDs."""

from django.urls import path

from orders.views import bulk, detail, groups, order_list, reports, review, search

app_name = "orders"

urlpatterns = [
    path("", order_list.order_list, name="list"),
    path("export.csv", order_list.order_export, name="export"),
    path("numbers/", order_list.number_list, name="numbers"),
    path("numbers/export.csv", order_list.number_export, name="numbers-export"),
    path("search/", search.search, name="search"),
    path("selection/add/", search.selection_add, name="selection-add"),
    path("selection/remove/", search.selection_remove, name="selection-remove"),
    path("selection/clear/", search.selection_clear, name="selection-clear"),
    path("review/", review.review, name="review"),
    path("review/reserve/", review.reserve, name="reserve"),
    path(
        "reservations/<uuid:public_id>/extend/",
        review.reservation_extend,
        name="reservation-extend",
    ),
    path("reports/", reports.report_list, name="reports"),
    path("reports/<uuid:public_id>/", reports.report_detail, name="report"),
    path("reports/<uuid:public_id>/download", reports.report_download, name="report-download"),
    path("bulk/", bulk.bulk_new, name="bulk-new"),
    path("bulk/<uuid:public_id>/", bulk.bulk_detail, name="bulk-detail"),
    path("bulk/<uuid:public_id>/approve/", bulk.bulk_approve, name="bulk-approve"),
    path("<uuid:public_id>/", detail.order_detail, name="detail"),
    path("<uuid:public_id>/refresh/", detail.order_refresh, name="refresh"),
    path("<uuid:public_id>/approve/", detail.order_approve, name="approve"),
    path("<uuid:public_id>/reselect/", detail.order_reselect, name="reselect"),
    path(
        "<uuid:public_id>/sub-orders/<uuid:sub_id>/cancel/",
        detail.sub_order_cancel,
        name="sub-order-cancel",
    ),
    path(
        "<uuid:public_id>/sub-orders/<uuid:sub_id>/group/",
        groups.use_group,
        name="sub-order-group",
    ),
]

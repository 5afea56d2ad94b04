"""``/wc/v3/data/currencies/current``: the store's currency (WooCommerce > Settings > General).

Shape as WooCommerce 10's ``WC_REST_Data_Currencies_Controller::get_current_item`` answers it
(the route is listed in ``schema-wc-v3-route-index.json``): code, name, symbol (HTML entity) and
the usual ``_links``.
"""

from __future__ import annotations

from .rest import RestRequest, RestResponse, route

NAMES = {
    "USD": ("United States (US) dollar", "&#36;"),
    "EUR": ("Euro", "&euro;"),
    "GBP": ("Pound sterling", "&pound;"),
    "JPY": ("Japanese yen", "&yen;"),
    "MAD": ("Moroccan dirham", "&#x62f;.&#x645;."),
}


def build(sb) -> list:
    def current(req: RestRequest) -> RestResponse:
        code = sb.currency
        name, symbol = NAMES.get(code, (code, code))
        base = f"{req.home}/wp-json/wc/v3/data/currencies"
        return RestResponse(
            {
                "code": code,
                "name": name,
                "symbol": symbol,
                "_links": {
                    "self": [{"href": f"{base}/current"}],
                    "collection": [{"href": base}],
                },
            }
        )

    return [route("data/currencies/current", {"GET": current}, {"GET": "list"})]

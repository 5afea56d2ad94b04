"""Ads end to end: a store's SKUs, the three ad sandboxes, and the admin panel's API driven the
way the panel does (a panel token in the header)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from sqlalchemy import select

from models import AdAccount, AdAction, AdObject, Installation, JobRun, Movement, Sku, StockPool
from tests.conftest import wait_for

PLATFORMS = ("meta", "tiktok", "google_ads")
# The object each platform's test links: Meta ad set, TikTok campaign, Google Ads campaign.
LINKED_LEVEL = {"meta": "ad_set", "tiktok": "campaign", "google_ads": "campaign"}
_refs = itertools.count(1)


def make_store(session, domain: str, skus: dict[str, int]) -> tuple[Installation, dict[str, int]]:
    """A connected store whose pool holds ``{sku: on_hand}`` (no channel listings needed: the
    ads follow the pool's truth)."""
    pool = StockPool(name=domain, settings={})
    session.add(pool)
    session.flush()
    inst = Installation(
        platform="shopify", shop_domain=domain, status="active", pool_id=pool.id, settings={}
    )
    inst.credentials = {"access_token": "shpat_" + "x" * 32}
    session.add(inst)
    ids = {}
    for sku, on_hand in skus.items():
        row = Sku(pool_id=pool.id, key=sku.casefold(), sku=sku, name=f"Product {sku}")
        row.on_hand = on_hand
        session.add(row)
        session.flush()
        ids[sku] = row.id
    session.commit()
    return inst, ids


def move(app, sku_id: int, delta: int, *, push: bool = True) -> None:
    """A stock change in the ledger (what a sale or a restock on any channel ends in).
    ``push=False``: nothing is told (the caller runs the evaluation on its own clock)."""
    from extensions import db
    from sync import ledger, mirror

    with app.app_context():
        session = db.session
        skus = ledger.lock_skus(session, [sku_id])
        ledger.record(session, skus[sku_id], Movement.MANUAL, delta, f"test:{next(_refs)}")
        if push:
            mirror.request_push(session, [sku_id])
        session.commit()


@dataclass
class Panel:
    """The embedded admin panel's calls for one store."""

    app: object
    installation_id: int
    accounts: dict = field(default_factory=dict)  # platform -> account id

    def __post_init__(self):
        from views.admin_api import panel_token

        with self.app.test_request_context():
            self.headers = {"Authorization": f"Bearer {panel_token(self.installation_id)}"}
        self.client = self.app.test_client()

    def call(self, method: str, path: str, **kw):
        return getattr(self.client, method)(f"/admin/api/ads{path}", headers=self.headers, **kw)

    def connect(self, platform: str, sandbox, *, wait: bool = True) -> dict:
        answer = self.call(
            "post", "/accounts", json={"platform": platform, **sandbox.connect_form()}
        )
        assert answer.status_code == 201, answer.get_json()
        body = answer.get_json()
        self.accounts[platform] = body["account"]["id"]
        if wait:
            self.wait_job(body["job"]["id"])
        return body

    def wait_job(self, run_id: int) -> None:
        from extensions import db

        def done():
            with self.app.app_context():
                db.session.remove()
                run = db.session.get(JobRun, run_id)
                assert run.status != JobRun.FAILED, run.message
                return run.status == JobRun.DONE

        wait_for(done, timeout=30, message="ad import did not finish")

    def objects(self) -> dict[str, dict]:
        found, page = {}, 1
        while True:
            answer = self.call("get", "/objects", query_string={"page": page})
            assert answer.status_code == 200, answer.get_json()
            body = answer.get_json()
            found.update({o["ref"]: o for o in body["objects"]})
            if len(found) >= body["total"] or not body["objects"]:
                return found
            page += 1

    def link(self, ref: str, *sku_ids: int) -> None:
        obj = self.objects()[ref]
        answer = self.call(
            "post", "/links", json={"object_id": obj["id"], "sku_ids": list(sku_ids)}
        )
        assert answer.status_code == 201, answer.get_json()

    def policy(self, **values) -> dict:
        answer = self.call("put", "/policy", json=values)
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()["policy"]

    def go_live(self, platform: str, mode: str = "automatic") -> None:
        answer = self.call(
            "patch",
            f"/accounts/{self.accounts[platform]}",
            json={"mode": mode, "end_dry_run": True},
        )
        assert answer.status_code == 200, answer.get_json()
        assert answer.get_json()["account"]["effective_mode"] == mode

    def actions(self, **query) -> list[dict]:
        answer = self.call("get", "/actions", query_string=query)
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()["actions"]


def rows(app, model, *where):
    from extensions import db

    with app.app_context():
        db.session.remove()
        found = db.session.scalars(select(model).where(*where).order_by(model.id)).all()
        db.session.expunge_all()
        return found


def account(app, account_id: int) -> AdAccount:
    [row] = rows(app, AdAccount, AdAccount.id == account_id)
    return row


def ad_object(app, ref: str) -> AdObject:
    [row] = rows(app, AdObject, AdObject.ref == ref)
    return row


def done_actions(app, ref: str) -> list[AdAction]:
    obj = ad_object(app, ref)
    return rows(app, AdAction, AdAction.ad_object_id == obj.id, AdAction.state == AdAction.DONE)


def build_campaigns(sandboxes: dict, url: str) -> dict[str, dict[str, str]]:
    """On each platform: a campaign with an ad set (ad group) and an ad landing on ``url``.
    Returns {platform: {"campaign": ref, "ad_set": ref, "ad": ref}}."""
    out = {}
    for platform, sb in sandboxes.items():
        campaign = sb.create_object("campaign", f"{platform} winter", daily_budget=5000)
        # Google Ads ad groups spend their campaign's budget: they have none of their own.
        budget = None if platform == "google_ads" else 2000
        ad_set = sb.create_object(
            "ad_set", f"{platform} tees", parent=campaign, daily_budget=budget
        )
        ad = sb.create_object("ad", f"{platform} tee ad", parent=ad_set, url=url)
        out[platform] = {"campaign": campaign, "ad_set": ad_set, "ad": ad}
    return out

"""Ads follow stock: policy, evaluation, execution against the ad platforms, links."""

from suggestions.tallies.aggregation import tally_run
from suggestions.tallies.reports import report_generate


def test_administrators_can_list_tally_runs_and_reports(client, personas, units, campaign, settled):
    tally_run(campaign_id=campaign.pk)
    report_generate(campaign_id=campaign.pk, unit_id=units["城区"].pk)
    client.force_login(personas["admin"])
    assert client.get("/admin/suggestions/tallyrun/").status_code == 200
    response = client.get("/admin/suggestions/report/")
    assert response.status_code == 200 and "城区" in response.content.decode()

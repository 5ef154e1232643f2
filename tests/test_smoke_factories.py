from muqeem.core.ids import iqama_number_problem


def test_factory_resident_has_a_valid_iqama_number_and_funded_sponsor(resident, establishment):
    assert iqama_number_problem(resident.iqama_number) is None
    assert establishment.balance_halalas == 100_000 * 100

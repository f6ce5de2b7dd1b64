"""Project templates: documented inputs, hand-computed flows, validation, vectorised builds."""

from __future__ import annotations

import re

import numpy as np
import pytest

from services.evaluation.domain.errors import InvalidInput
from services.evaluation.domain.templates import TEMPLATES, get_template

EXPECTED = {
    "led_public_lighting",
    "traffic_lights",
    "building_energy_epc",
    "urban_freight_consolidation",
    "car_pooling",
    "smart_grid_metering",
    "intelligent_operation_centre",
}


def test_the_programme_templates_exist() -> None:
    assert set(TEMPLATES) == EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
class TestEveryTemplate:
    def test_is_documented(self, name: str) -> None:
        described = get_template(name).describe()
        assert re.fullmatch(r"\d+\.\d+\.\d+", described["version"])
        assert described["title"]
        assert described["externalities"]
        assert described["revenue_kind"] in {
            "energy_savings",
            "budget_savings",
            "user_fees",
            "none",
        }
        for spec in described["inputs"]:
            assert set(spec) >= {"name", "unit", "default", "min", "max", "description", "source"}
            assert spec["unit"]
            assert spec["description"]
            assert spec["source"]
            assert spec["min"] <= spec["default"] <= spec["max"]

    def test_defaults_build_a_finite_project_with_externalities(self, name: str) -> None:
        template = get_template(name)
        flows = template.build(template.resolve({}))
        assert flows.years == template.resolve({})["lifetime"] + 1
        assert flows.investment[0] > 0
        assert np.all(flows.investment[1:] == 0)
        externalities = [
            flows.co2_tonnes,
            flows.energy_saved_kwh,
            flows.time_saved_hours,
            flows.accidents_avoided,
            flows.other_benefits,
        ]
        assert any(np.any(e != 0) for e in externalities)
        for name_ in ("investment", "opex", "revenues", "residual_value", "taxes"):
            assert np.all(np.isfinite(getattr(flows, name_)))

    def test_vectorised_build_matches_row_by_row(self, name: str) -> None:
        template = get_template(name)
        inputs = template.resolve({})
        variable = template.risk_variables[0]
        values = np.array([[0.5], [1.0], [1.7]]) * inputs[variable]
        stacked = template.build({**inputs, variable: values})
        for row, value in enumerate(values[:, 0]):
            single = template.build({**inputs, variable: float(value)})
            assert list(stacked.net[row]) == pytest.approx(list(single.net))
            assert list(stacked.co2_tonnes[row]) == pytest.approx(list(single.co2_tonnes))

    def test_out_of_range_input_is_named(self, name: str) -> None:
        template = get_template(name)
        spec = template.inputs[0]
        with pytest.raises(InvalidInput) as raised:
            template.resolve({spec.name: spec.maximum * 10 + 10})
        assert raised.value.field == f"inputs.{spec.name}"

    def test_negative_lifetime_is_refused(self, name: str) -> None:
        with pytest.raises(InvalidInput) as raised:
            get_template(name).resolve({"lifetime": -5})
        assert raised.value.field == "inputs.lifetime"


class TestHandComputedFlows:
    def test_led_public_lighting(self) -> None:
        template = get_template("led_public_lighting")
        inputs = template.resolve(
            {
                "points": 1000,
                "kwh_per_point_before": 480,
                "kwh_per_point_after": 190,
                "energy_price": 0.20,
                "maintenance_saved_per_point": 10,
                "cost_per_point": 400,
                "lifetime": 15,
                "grid_emission_factor": 0.27,
            }
        )
        flows = template.build(inputs)
        # 1000 x 290 kWh x 0.20 + 1000 x 10 = 68,000 EUR saved a year; 290 MWh x 0.27 = 78.3 t.
        assert flows.investment[0] == 400_000
        assert flows.revenues[1] == pytest.approx(68_000)
        assert flows.revenues[15] == pytest.approx(68_000)
        assert flows.co2_tonnes[1] == pytest.approx(78.3)
        assert flows.years == 16

    def test_traffic_lights(self) -> None:
        template = get_template("traffic_lights")
        flows = template.build(
            template.resolve(
                {
                    "intersections": 10,
                    "lamps_per_intersection": 20,
                    "watts_before": 135,
                    "watts_after": 12,
                    "duty_cycle": 0.5,
                    "energy_price": 0.2,
                    "maintenance_saved_per_lamp": 15,
                    "cost_per_lamp": 150,
                }
            )
        )
        # 200 lamps x 123 W x 8760 h x 0.5 = 107,748 kWh; x 0.2 + 200 x 15 = 24,549.6 EUR.
        assert flows.revenues[1] == pytest.approx(107_748 * 0.2 + 3000)
        assert flows.investment[0] == pytest.approx(30_000)
        assert flows.co2_tonnes[1] == pytest.approx(107_748 * 0.27 / 1000)

    def test_building_epc_splits_savings_between_esco_and_municipality(self) -> None:
        template = get_template("building_energy_epc")
        inputs = template.resolve({"contract_years": 10, "lifetime": 20})
        flows = template.build(inputs)
        savings = (
            inputs["floor_area_m2"]
            * (inputs["kwh_per_m2_before"] - inputs["kwh_per_m2_after"])
            * inputs["energy_price"]
        )
        share = inputs["esco_savings_share"]
        assert flows.revenues[10] == pytest.approx(share * savings)
        assert flows.revenues[11] == 0.0
        assert flows.opex[11] == 0.0
        assert flows.other_benefits[10] == pytest.approx((1 - share) * savings)
        assert flows.other_benefits[11] == pytest.approx(savings)
        assert flows.co2_tonnes[20] > 0

    def test_car_pooling(self) -> None:
        template = get_template("car_pooling")
        inputs = template.resolve({})
        flows = template.build(inputs)
        vkm = (
            inputs["users"]
            * inputs["trips_per_user_per_year"]
            * inputs["trip_km"]
            * inputs["car_trips_avoided_per_trip"]
        )
        assert flows.co2_tonnes[1] == pytest.approx(vkm * 0.17 / 1000)
        assert flows.accidents_avoided[1] == pytest.approx(vkm * 0.3 / 1e6)
        assert flows.other_benefits[1] == pytest.approx(vkm * 0.10)

    def test_smart_metering_uses_jrc_defaults(self) -> None:
        template = get_template("smart_grid_metering")
        inputs = template.resolve({})
        assert inputs["cost_per_meter"] == 223.0  # JRC 2014
        flows = template.build(inputs)
        assert flows.energy_saved_kwh[1] == pytest.approx(10_000 * 2700 * 0.03)


class TestValidation:
    @pytest.mark.parametrize(
        ("name", "inputs", "field"),
        [
            ("led_public_lighting", {"energy_price": float("nan")}, "inputs.energy_price"),
            ("led_public_lighting", {"energy_price": -0.1}, "inputs.energy_price"),
            ("led_public_lighting", {"points": 10.5}, "inputs.points"),
            ("led_public_lighting", {"kwh_per_point_after": 900}, "inputs.kwh_per_point_after"),
            ("led_public_lighting", {"lamps": 3}, "inputs.lamps"),
            (
                "building_energy_epc",
                {"contract_years": 25, "lifetime": 20},
                "inputs.contract_years",
            ),
            ("traffic_lights", {"duty_cycle": 1.5}, "inputs.duty_cycle"),
        ],
    )
    def test_invalid(self, name: str, inputs: dict[str, object], field: str) -> None:
        with pytest.raises(InvalidInput) as raised:
            get_template(name).resolve(inputs)
        assert raised.value.field == field

    def test_unknown_template(self) -> None:
        with pytest.raises(InvalidInput) as raised:
            get_template("tram")
        assert raised.value.field == "template"

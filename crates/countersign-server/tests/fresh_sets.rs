//! The fresh evaluation sets in `eval/fresh/` (each written by someone who
//! had not read the code, see each set's README.md) as regression tests.
//! Their first-sight scores are recorded in the issues' notes; here they
//! only guard against going backwards: each floor is the score when the set
//! was added or last raised, less one point. `eval/score_fresh.py` prints the full tables.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// The verdicts that keep a message from being acted on.
const STRICT: [&str; 3] = ["hold", "quarantine", "reject"];

struct Score {
    right: usize,
    total: usize,
    attacks_stopped: usize,
    attacks: usize,
    honest_quarantined: usize,
}

fn score(set: &str) -> Score {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = repo.join("eval/fresh").join(set);
    let output = Command::new(env!("CARGO_BIN_EXE_countersign"))
        .arg("analyze")
        .arg("--zone")
        .arg(dir.join("zone/set.zone"))
        .arg("--directory")
        .arg(dir.join("directory.json"))
        .arg("--manifest")
        .arg(dir.join("manifest.jsonl"))
        .args(["--json", "--at", "2026-12-04T12:00:00Z"])
        .output()
        .expect("the countersign binary runs");
    let verdicts: std::collections::HashMap<String, String> =
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(|l| {
                let o: serde_json::Value = serde_json::from_str(l).unwrap();
                (
                    o["file"].as_str().unwrap_or_default().to_owned(),
                    o["verdict"].as_str().unwrap_or("error").to_owned(),
                )
            })
            .collect();
    let manifest = std::fs::read_to_string(dir.join("manifest.jsonl")).unwrap();
    let mut s = Score {
        right: 0,
        total: 0,
        attacks_stopped: 0,
        attacks: 0,
        honest_quarantined: 0,
    };
    for line in manifest.lines().filter(|l| !l.trim().is_empty()) {
        let label: serde_json::Value = serde_json::from_str(line).unwrap();
        let file = label["file"].as_str().unwrap();
        let verdict = verdicts
            .get(file)
            .unwrap_or_else(|| panic!("{set}: no verdict for {file}"));
        let acceptable: BTreeSet<&str> = label["acceptable_verdicts"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        s.total += 1;
        s.right += usize::from(acceptable.contains(verdict.as_str()));
        if acceptable.iter().all(|v| STRICT.contains(v)) {
            s.attacks += 1;
            s.attacks_stopped += usize::from(STRICT.contains(&verdict.as_str()));
        }
        if acceptable.contains("deliver") && (verdict == "quarantine" || verdict == "reject") {
            s.honest_quarantined += 1;
        }
    }
    println!(
        "{set}: verdicts {}/{} = {:.1}%, attacks stopped {}/{} = {:.1}%, honest quarantined {}",
        s.right,
        s.total,
        100.0 * s.right as f64 / s.total as f64,
        s.attacks_stopped,
        s.attacks,
        100.0 * s.attacks_stopped as f64 / s.attacks.max(1) as f64,
        s.honest_quarantined
    );
    s
}

fn at_least(set: &str, verdicts: f64, attacks: f64, honest_quarantined: usize) {
    let s = score(set);
    let v = 100.0 * s.right as f64 / s.total as f64;
    let a = 100.0 * s.attacks_stopped as f64 / s.attacks as f64;
    assert!(v >= verdicts, "{set}: verdicts {v:.1}% < {verdicts}%");
    assert!(a >= attacks, "{set}: attacks stopped {a:.1}% < {attacks}%");
    assert!(
        s.honest_quarantined <= honest_quarantined,
        "{set}: {} honest messages quarantined",
        s.honest_quarantined
    );
}

#[test]
fn set_a_requests_lures_bec_callback() {
    at_least("set-a", 95.2, 94.3, 0);
}

#[test]
fn set_b_impersonation() {
    at_least("set-b", 95.8, 96.5, 0);
}

#[test]
fn set_c_help_desk_requests() {
    at_least("set-c", 91.5, 92.6, 0);
}

#[test]
fn set_d_impersonation() {
    at_least("set-d", 90.0, 96.3, 0);
}

#[test]
fn set_e_hospital_help_desk() {
    at_least("set-e", 96.2, 94.8, 0);
}

#[test]
fn set_f_engineering_group_help_desk() {
    at_least("set-f", 90.1, 90.3, 0);
}

#[test]
fn set_g_university_consortium_help_desk() {
    at_least("set-g", 95.3, 94.7, 0);
}

#[test]
fn set_h_insurance_group_help_desk() {
    at_least("set-h", 95.7, 94.2, 0);
}

#[test]
fn set_i_retailer_help_desk() {
    at_least("set-i", 93.3, 94.7, 0);
}

#[test]
fn set_j_utility_help_desk() {
    at_least("set-j", 90.6, 94.5, 0);
}

#[test]
fn set_k_law_firm_help_desk() {
    at_least("set-k", 91.3, 93.1, 0);
}

#[test]
fn set_l_freight_forwarder_help_desk() {
    at_least("set-l", 89.6, 92.8, 2);
}

#[test]
fn set_m_hotel_group_help_desk() {
    at_least("set-m", 94.7, 94.5, 0);
}

#[test]
fn set_n_city_administration() {
    at_least("set-n", 95.8, 97.0, 0);
}

#[test]
fn set_o_pharmaceutical_manufacturer() {
    at_least("set-o", 95.2, 96.9, 1);
}

#[test]
fn set_p_software_company() {
    at_least("set-p", 91.7, 90.8, 0);
}

#[test]
fn set_q_construction_company() {
    at_least("set-q", 92.4, 89.7, 0);
}

#[test]
fn set_r_airline_and_ground_handling() {
    at_least("set-r", 93.9, 94.7, 1);
}

#[test]
fn set_s_cooperative_bank() {
    at_least("set-s", 91.9, 91.5, 0);
}

#[test]
fn set_t_clinics_and_laboratories() {
    at_least("set-t", 92.9, 91.9, 0);
}

#[test]
fn set_u_newspaper_and_media_house() {
    at_least("set-u", 98.3, 97.9, 0);
}

#[test]
fn set_v_humanitarian_non_profit() {
    at_least("set-v", 96.1, 96.7, 0);
}

#[test]
fn set_w_public_transport_operator() {
    at_least("set-w", 94.7, 99.0, 0);
}

#[test]
fn set_x_architecture_and_engineering_consultancy() {
    at_least("set-x", 91.2, 92.8, 2);
}

#[test]
fn set_y_veterinary_clinics_and_pharmacy_wholesaler() {
    at_least("set-y", 96.1, 97.8, 2);
}

#[test]
fn set_z_university_hospital_group_it_service_centre() {
    at_least("set-z", 96.9, 97.8, 1);
}

#[test]
fn set_aa_aircraft_maintenance_organisation() {
    at_least("set-aa", 95.4, 94.3, 1);
}

#[test]
fn set_ab_food_processing_cooperative() {
    at_least("set-ab", 94.7, 97.9, 0);
}

#[test]
fn set_ac_payroll_and_hr_outsourcing_provider() {
    at_least("set-ac", 96.1, 94.7, 0);
}

#[test]
fn set_af_automotive_parts_supplier() {
    at_least("set-af", 97.6, 97.8, 0);
}

#[test]
fn set_ag_port_operator_and_shipping_agency() {
    at_least("set-ag", 96.1, 96.7, 0);
}

#[test]
fn set_ah_specialty_chemicals_distributor() {
    at_least("set-ah", 89.0, 89.0, 0);
}

#[test]
fn set_ai_regional_telecommunications_operator() {
    at_least("set-ai", 96.1, 96.3, 0);
}

#[test]
fn set_aj_investment_and_asset_management_firm() {
    at_least("set-aj", 92.6, 92.9, 0);
}

#[test]
fn set_ak_accounting_and_audit_firm() {
    at_least("set-ak", 95.4, 94.7, 0);
}

#[test]
fn set_al_property_management_company() {
    at_least("set-al", 94.0, 95.1, 0);
}

#[test]
fn set_am_public_broadcaster() {
    at_least("set-am", 98.3, 97.4, 0);
}

#[test]
fn set_an_semiconductor_manufacturer() {
    at_least("set-an", 91.1, 92.8, 0);
}

#[test]
fn set_ao_mining_and_metals_group() {
    at_least("set-ao", 96.1, 95.3, 0);
}

#[test]
fn set_ap_video_game_studio() {
    at_least("set-ap", 97.6, 96.1, 0);
}

#[test]
fn set_aq_agri_food_cooperative() {
    at_least("set-aq", 94.0, 94.8, 1);
}

#[test]
fn set_ar_airport_ground_handling() {
    at_least("set-ar", 94.0, 97.6, 0);
}

#[test]
fn set_as_renewable_energy_operator() {
    at_least("set-as", 94.7, 97.8, 0);
}

#[test]
fn set_at_cosmetics_maker_and_web_shop() {
    at_least("set-at", 91.8, 97.7, 0);
}

#[test]
fn set_au_international_and_language_schools() {
    at_least("set-au", 96.9, 96.4, 0);
}

#[test]
fn set_av_lift_and_escalator_maker() {
    at_least("set-av", 93.3, 92.3, 0);
}

#[test]
fn set_aw_museum_foundation() {
    at_least("set-aw", 98.3, 97.8, 0);
}

#[test]
fn set_ax_car_rental_and_leasing() {
    at_least("set-ax", 95.4, 96.5, 0);
}

#[test]
fn set_ay_fitness_and_physiotherapy_chain() {
    at_least("set-ay", 96.9, 96.8, 0);
}

#[test]
fn set_az_academic_publisher() {
    at_least("set-az", 96.9, 99.0, 0);
}

#[test]
fn set_ba_dental_clinics_and_laboratory() {
    at_least("set-ba", 92.6, 94.6, 1);
}

#[test]
fn set_bb_used_machinery_marketplace() {
    at_least("set-bb", 87.6, 93.4, 1);
}

#[test]
fn set_bc_trade_fair_and_event_organiser() {
    at_least("set-bc", 96.9, 97.9, 1);
}

#[test]
fn set_bd_waste_management_and_recycling() {
    at_least("set-bd", 96.1, 97.8, 0);
}

#[test]
fn set_be_music_schools_and_box_office() {
    at_least("set-be", 96.9, 96.6, 0);
}

#[test]
fn set_bf_garden_centres_and_nursery() {
    at_least("set-bf", 92.6, 95.5, 0);
}

#[test]
fn set_bg_veterinary_clinics() {
    at_least("set-bg", 96.1, 97.7, 0);
}

#[test]
fn set_bh_ferry_and_port_terminal_operator() {
    at_least("set-bh", 94.0, 95.5, 0);
}

#[test]
fn set_bi_brewery_and_distribution() {
    at_least("set-bi", 97.6, 97.8, 0);
}

#[test]
fn set_bj_water_utility() {
    at_least("set-bj", 93.3, 95.4, 0);
}

#[test]
fn set_bk_aircraft_maintenance_and_ground_handling() {
    at_least("set-bk", 94.7, 96.5, 0);
}

#[test]
fn set_bl_veterinary_group_and_laboratory() {
    at_least("set-bl", 91.1, 97.6, 1);
}

#[test]
fn set_bm_hotel_and_resort_group() {
    at_least("set-bm", 97.5, 97.5, 0);
}

#[test]
fn set_bn_translation_and_localisation_agency() {
    at_least("set-bn", 92.5, 96.5, 0);
}

#[test]
fn set_bo_library_and_archives_network() {
    at_least("set-bo", 94.0, 97.5, 0);
}

#[test]
fn set_bp_rail_and_tram_engineering_consultancy() {
    at_least("set-bp", 96.8, 98.5, 1);
}

#[test]
fn set_bq_farmers_cooperative_and_machinery_dealerships() {
    at_least("set-bq", 95.4, 99.0, 0);
}

#[test]
fn set_br_games_and_animation_studio_group() {
    at_least("set-br", 93.2, 93.9, 1);
}

#[test]
fn set_bs_specialty_chemicals_manufacturer() {
    at_least("set-bs", 98.2, 97.6, 0);
}

#[test]
fn set_bt_language_and_vocational_schools() {
    at_least("set-bt", 93.2, 96.5, 0);
}

#[test]
fn set_bu_insurance_brokerage_network() {
    at_least("set-bu", 93.2, 92.8, 0);
}

#[test]
fn set_bv_outdoor_equipment_maker_and_retailer() {
    at_least("set-bv", 93.2, 93.9, 1);
}

#[test]
fn set_bw_opticians_and_hearing_care_chain() {
    at_least("set-bw", 95.4, 95.8, 0);
}

#[test]
fn set_bx_yacht_and_workboat_builder() {
    at_least("set-bx", 91.8, 94.8, 0);
}

#[test]
fn set_by_waste_management_and_recycling() {
    at_least("set-by", 96.9, 96.8, 0);
}

#[test]
fn set_bz_dental_clinics_and_lab() {
    at_least("set-bz", 93.3, 92.3, 0);
}

use super::*;

#[test]
fn every_variant_round_trips_through_its_spelling() {
    for m in Membership::ALL {
        assert_eq!(m.as_str().parse::<Membership>(), Ok(*m));
        assert_eq!(
            serde_json::to_value(m).ok(),
            Some(serde_json::Value::from(m.as_str()))
        );
    }
    for k in JobKind::ALL {
        assert_eq!(k.as_str().parse::<JobKind>(), Ok(*k));
    }
    for s in JobStatus::ALL {
        assert_eq!(s.as_str().parse::<JobStatus>(), Ok(*s));
    }
    for c in ChunkState::ALL {
        assert_eq!(c.as_str().parse::<ChunkState>(), Ok(*c));
    }
}

#[test]
fn unknown_spellings_are_errors_not_defaults() {
    let error = "Join".parse::<Membership>().err();
    assert_eq!(
        error.map(|e| e.to_string()),
        Some("unknown membership: \"Join\"".to_owned())
    );
    assert!("".parse::<JobKind>().is_err());
    assert!("done".parse::<JobStatus>().is_err());
    assert!(serde_json::from_str::<Membership>("\"joined\"").is_err());
}

#[test]
fn the_wire_spellings_are_pinned() {
    let spelled: Vec<_> = Membership::ALL.iter().map(|m| m.as_str()).collect();
    assert_eq!(spelled, ["join", "invite", "leave", "ban", "knock"]);
    let spelled: Vec<_> = JobStatus::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(spelled, ["queued", "running", "complete", "failed"]);
    assert!(JobStatus::Complete.is_final() && !JobStatus::Running.is_final());
}

#[test]
fn now_is_after_2025() {
    assert!(now_ms() > 1_735_689_600_000);
}

//! Compiles the `.proto` files with protox (pure Rust), so no system `protoc` is needed.

use std::path::PathBuf;

const PROTOS: &[&str] = &[
    "matrix/admin/accounts/v1/accounts.proto",
    "matrix/admin/membership/v1/membership.proto",
    "matrix/admin/membership/v1/evacuation.proto",
    "matrix/admin/notices/v1/notices.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
    }
    let fds = protox::compile(PROTOS, ["."])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    // The descriptor set feeds tonic-reflection.
    std::fs::write(
        out_dir.join("bailiff_descriptor.bin"),
        prost::Message::encode_to_vec(&fds),
    )?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(fds)?;
    Ok(())
}

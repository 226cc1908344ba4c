{
  description = "slicelab: which rootless podman containers survive memory pressure under systemd-oomd";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          packages = [
            (pkgs.python3.withPackages (ps: with ps; [
              invoke docker tenacity pyyaml rich
              pytest hypothesis mypy types-pyyaml
            ]))
            pkgs.ruff
            pkgs.podman
            pkgs.qemu
            pkgs.debootstrap
            pkgs.e2fsprogs
          ];
          shellHook = ''
            export PYTHONPATH="$PWD''${PYTHONPATH:+:$PYTHONPATH}"
          '';
        };
      });
    };
}

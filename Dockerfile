# carrier-sim in a container: `docker build -t carrier-sim .`, then
#   docker run -p 8080:8080 -e CARRIER_SIM_ADMIN_TOKEN=change-me carrier-sim
# (bound to 0.0.0.0 the admin plane needs a token; see README.md).
#
# No container engine runs on the project's CI machines. The build step below
# is the command CI runs (tests/api/newcomer.rs reads this RUN line and runs it
# with `--debug` into a temporary root), and the runtime contract (ENTRYPOINT,
# CMD, ENV, EXPOSE, HEALTHCHECK) is exercised there by running the installed
# binary exactly as this image would.

FROM rust:1.88-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo install --path . --locked --root /usr/local

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --no-create-home carrier-sim
COPY --from=build /usr/local/bin/carrier-sim /usr/local/bin/carrier-sim
USER carrier-sim
ENV CARRIER_SIM_BIND=0.0.0.0:8080
ENV CARRIER_SIM_URL=http://127.0.0.1:8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s CMD ["carrier-sim", "ready"]
ENTRYPOINT ["carrier-sim"]
CMD ["serve"]

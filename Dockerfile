FROM python:3.11-slim
WORKDIR /srv/smshall
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY gateway_sim ./gateway_sim
COPY migrations ./migrations
# Editable, so `smshall migrate` finds alembic.ini and migrations/ beside the code.
RUN pip install --no-cache-dir -e .
# Listen on every interface inside the container; publish the port explicitly.
ENV SMSHALL_HOST=0.0.0.0
EXPOSE 8000
CMD ["sh", "-c", "smshall migrate && smshall catalog load --seed && smshall serve"]

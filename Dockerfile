# dondoc: one image, every role (ROLES selects). No build step: tsx runs the TypeScript.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY src/setup ./src/setup
COPY prisma ./prisma
RUN npm install --no-audit --no-fund --loglevel=error && node src/setup/ensure.mjs
COPY . .
USER node
CMD ["node_modules/.bin/tsx", "src/main.ts"]

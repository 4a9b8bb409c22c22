// `koyalite/testing`: the project over the real HTTP stack on in-memory SQLite, for a user's tests.
export { createTestApp, type ClientOptions, type TestApp, type TestAppOptions, type TestClock, type TestUser, type UserOptions } from './test-app.ts'
export { createHttpClient, type HttpAnswer, type HttpClient } from './http-client.ts'

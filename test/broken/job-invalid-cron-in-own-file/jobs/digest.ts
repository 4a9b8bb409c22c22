import { job } from 'koyalite'

export const digest = job({
  cron: '0 8 * * * * * *',
  run: async () => {},
})

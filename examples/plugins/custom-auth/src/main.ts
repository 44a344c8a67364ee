#!/usr/bin/env node
import { serve } from '@plugboard/sdk'
import { CustomAuth } from './custom-auth.js'

await serve(new CustomAuth())

#!/usr/bin/env node
import { serve } from '@plugboard/sdk'
import { PortalFeedback } from './portal-feedback.js'

await serve(new PortalFeedback())
